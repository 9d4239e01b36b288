# client-no-rdma: the client has no RDMA device (no rxe), the server has one:
# expect the client to decline (NOSMCDEV) before any Proposal, then TCP.
LIMIT=60

guest_server() {
    rxe_add eth0
    ueid_add SMC-LAB
    serve --port 5000 --count 1 --echo
}

guest_client() {
    ueid_add SMC-LAB
    capture_client "$SERVER4" 5000 --size 4096 --expect-echo
}
