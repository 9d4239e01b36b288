# smcr-v2-echo: SMC-Rv2 between two kernels with a common UEID; 60 KB echoed
# back (small: bigger transfers stall under TCG on rxe retransmission timers).
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
