# many-conns: four SMC-Rv2 connections one after the other between the same
# peers: the first has first contact and builds the link group, the others
# reuse it (Accept/Confirm without first contact, no new CONFIRM_LINK).
LIMIT=120

guest_server() {
    rxe_add eth0
    ueid_add SMC-LAB
    serve --port 5000 --count 4 --echo
}

guest_client() {
    rxe_add eth0
    ueid_add SMC-LAB
    capture_client "$SERVER4" 5000 --size 4096 --connections 4 --expect-echo
}
