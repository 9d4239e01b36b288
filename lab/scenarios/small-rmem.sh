# small-rmem: net.smc.rmem/wmem at 16 KiB (the smallest RMB) on both sides, so a
# 60 KB echo wraps the CDC producer/consumer cursors several times.
LIMIT=120

small_buffers() {
    smc_sysctl rmem 16384
    smc_sysctl wmem 16384
}

guest_server() {
    rxe_add eth0
    ueid_add SMC-LAB
    small_buffers
    serve --port 5000 --count 1 --echo
}

guest_client() {
    rxe_add eth0
    ueid_add SMC-LAB
    small_buffers
    capture_client "$SERVER4" 5000 --size 61440 --expect-echo
}
