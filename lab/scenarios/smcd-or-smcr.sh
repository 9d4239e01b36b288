# smcd-or-smcr: two VMs on the lab kernel, each with loopback-ism and rxe on
# eth0, common UEID: the client can offer SMC-Dv2 and SMC-Rv2 (typev2 B);
# which does the server choose?
KERNEL=lab
LIMIT=90

guest_server() {
    rxe_add eth0
    ueid_add SMC-LAB
    serve --port 5000 --count 1 --echo
}

guest_client() {
    rxe_add eth0
    ueid_add SMC-LAB
    capture_client "$SERVER4" 5000 --size 61440 --expect-echo
}
