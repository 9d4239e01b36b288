# smcd-ipv6: as smcd-v2-echo over ::1.
KERNEL=lab
VMS=1
NICS=0
CAPTURE=local
LIMIT=60

guest_local() {
    ueid_add SMC-LAB
    serve --port 5000 --count 1 --echo --ipv6 &
    local server=$!
    CAPTURE_IFS=lo capture_client ::1 5000 --size 4096 --expect-echo
    wait $server || die "server failed"
}
