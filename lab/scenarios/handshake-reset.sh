# handshake-reset: the client resets its connection (SO_LINGER 0, close) right
# after the TCP handshake, while the SMC CLC handshake is still under way.
LIMIT=60
SETTLE=4 # the server's CLC timers run on after the reset

guest_server() {
    rxe_add eth0
    ueid_add SMC-LAB
    workload server --port 5000 --echo &
    sleep 1
    signal server-ready
    await client-done 60
    kill $! 2>/dev/null
    true
}

guest_client() {
    rxe_add eth0
    ueid_add SMC-LAB
    capture_client "$SERVER4" 5000 --abort-handshake
}
