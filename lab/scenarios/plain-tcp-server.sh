# plain-tcp-server: an SMC client against a plain TCP listener: the SYN has the
# SMC option, the SYN-ACK does not, so no CLC at all (fallback PEERNOSMC).
LIMIT=60

guest_server() {
    rxe_add eth0
    ueid_add SMC-LAB
    serve --port 5000 --count 1 --echo --tcp
}

guest_client() {
    rxe_add eth0
    ueid_add SMC-LAB
    capture_client "$SERVER4" 5000 --size 4096 --expect-echo
}
