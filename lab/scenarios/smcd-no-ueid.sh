# smcd-no-ueid: loopback-ism in one VM (lab kernel) with no UEID. The UEID
# table is the kernel's, so client and server lack it alike: x86 has no
# system EID either, and loopback-ism speaks SMC-Dv2 only.
KERNEL=lab
VMS=1
NICS=0
CAPTURE=local
LIMIT=60

guest_local() {
    local_pair "--count 1 --echo" 127.0.0.1 --size 4096 --expect-echo
}
