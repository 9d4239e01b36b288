# smcr-v2-echo: SMC-Rv2 between two kernels with a common UEID; 60 KB echoed
# back (small: bigger transfers stall under TCG on rxe retransmission timers).
LIMIT=90

guest_server() {
    rxe_add eth0
    ueid_add SMC-LAB
    workload server --port 5000 --count 1 --echo &
    sleep 0.5
    signal server-ready
    wait $! || die "server workload"
    await client-done
}

guest_client() {
    rxe_add eth0
    ueid_add SMC-LAB
    await server-ready
    cap_start eth0
    workload client "$SERVER4" 5000 --size 61440 --expect-echo || die "client workload"
    sleep 2 # the close handshake (CDC, DELETE_RKEY) follows the last read
    cap_stop
    signal client-done
}
