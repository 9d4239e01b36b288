# boot-check: harness self-test without the workload (SMC_ANALYZE=none works):
# rxe devices come up and a plain TCP transfer with busybox nc is captured.
LIMIT=60

guest_server() {
    rxe_add eth0
    $RDMA link show >"$OUT/rdma.txt"
    step "nc listen"
    nc -l -p 5000 >"$OUT/received.bin" &
    signal server-ready
    wait $! || die "nc server"
    step "received $(wc -c <"$OUT/received.bin") bytes"
    await client-done
}

guest_client() {
    rxe_add eth0
    await server-ready
    cap_start eth0
    step "nc send"
    dd if=/dev/zero bs=1024 count=16 2>/dev/null | nc -w 2 "$SERVER4" 5000 || die "nc client"
    sleep 1
    cap_stop
    signal client-done
}
