# smcd-many-conns: four SMC-Dv2 connections one after the other over
# loopback-ism in one VM (lab kernel): the first with first contact, the
# others reusing the link group and its DMBs.
KERNEL=lab
VMS=1
NICS=0
CAPTURE=local
LIMIT=60

guest_local() {
    ueid_add SMC-LAB
    local_pair "--count 4 --echo" 127.0.0.1 --size 4096 --connections 4 --expect-echo
}
