# test-link: an SMC-Rv2 connection left idle past net.smc.smcr_testlink_time
# (set to 5 s on both sides) so the peers exchange LLC TEST_LINK req/rsp.
LIMIT=120

guest_server() {
    rxe_add eth0
    ueid_add SMC-LAB
    smc_sysctl smcr_testlink_time 5
    serve --port 5000 --count 1 --echo
}

guest_client() {
    rxe_add eth0
    ueid_add SMC-LAB
    smc_sysctl smcr_testlink_time 5
    capture_client "$SERVER4" 5000 --size 4096 --hold 14 --expect-echo
}
