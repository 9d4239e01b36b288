# smcd-no-ueid: loopback-ism in one VM (lab kernel) with no UEID. The UEID
# table is the kernel's, so client and server lack it alike: x86 has no
# system EID either, and loopback-ism speaks SMC-Dv2 only.
KERNEL=lab
VMS=1
NICS=0
CAPTURE=local
LIMIT=60

guest_local() {
    serve --port 5000 --count 1 --echo &
    local server=$!
    CAPTURE_IFS=lo capture_client 127.0.0.1 5000 --size 4096 --expect-echo
    wait $server || die "server failed"
}
