# smcd-two-vms: two VMs on the lab kernel, each with its own loopback-ism and
# no RDMA device, common UEID: the client offers SMC-Dv2 across the wire,
# where no ISM device reaches the server.
KERNEL=lab
LIMIT=60

guest_server() {
    ueid_add SMC-LAB
    serve --port 5000 --count 1 --echo
}

guest_client() {
    ueid_add SMC-LAB
    capture_client "$SERVER4" 5000 --size 4096 --expect-echo
}
