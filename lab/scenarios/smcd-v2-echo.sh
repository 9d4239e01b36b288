# smcd-v2-echo: SMC-Dv2 over loopback-ism, both ends in one VM on the lab
# kernel (Debian's leaves CONFIG_SMC_LO unset); 60 KB echoed back over
# 127.0.0.1. x86 has no system EID, so SMC-Dv2 needs a UEID. The capture
# (on lo) holds the SYNs with the option, CLC and the TCP close: the data
# moves in memory.
KERNEL=lab
VMS=1
NICS=0
CAPTURE=local
LIMIT=60

guest_local() {
    ueid_add SMC-LAB
    local_pair "--count 1 --echo" 127.0.0.1 --size 61440 --expect-echo
}
