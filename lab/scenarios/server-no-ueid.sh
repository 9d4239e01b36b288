# server-no-ueid: the client offers SMC-Rv2 (it has a UEID), the server has an
# RDMA device but no UEID: expect its v2 Decline NOSMCDEV and a TCP fallback.
LIMIT=60

guest_server() {
    rxe_add eth0
    serve --port 5000 --count 1 --echo
}

guest_client() {
    rxe_add eth0
    ueid_add SMC-LAB
    capture_client "$SERVER4" 5000 --size 4096 --expect-echo
}
