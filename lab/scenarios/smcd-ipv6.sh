# smcd-ipv6: as smcd-v2-echo over ::1.
KERNEL=lab
VMS=1
NICS=0
CAPTURE=local
LIMIT=60

guest_local() {
    ueid_add SMC-LAB
    local_pair "--count 1 --echo --ipv6" ::1 --size 4096 --expect-echo
}
