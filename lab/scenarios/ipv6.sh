# ipv6: both peers as in smcr-v2-echo, but over IPv6: SMC-Rv2 is IPv4 only and
# rxe has no RoCE v1 GID, so expect a client Decline NOSMCDEV, then TCP.
LIMIT=60

guest_server() {
    rxe_add eth0
    ueid_add SMC-LAB
    serve --port 5000 --count 1 --echo --ipv6
}

guest_client() {
    rxe_add eth0
    ueid_add SMC-LAB
    capture_client "$SERVER6" 5000 --size 4096 --expect-echo
}
