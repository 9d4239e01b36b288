# smcd-handshake-reset: the client resets its connection (SO_LINGER 0, close)
# as soon as TCP is established, over loopback-ism in one VM (lab kernel).
# Without help the kernel ends the CLC handshake before the reset can be
# sent; a netem delay on lo (20 ms a packet) stretches it so the reset lands
# inside it.
KERNEL=lab
VMS=1
NICS=0
CAPTURE=local
LIMIT=60
SETTLE=4 # the server's CLC timers run on after the reset

guest_local() {
    ueid_add SMC-LAB
    netem_delay lo 20ms
    workload server --port 5000 --echo &
    local server=$!
    sleep 1
    signal server-ready
    CAPTURE_IFS=lo capture_client 127.0.0.1 5000 --abort-handshake
    kill $server 2>/dev/null
    true
}
