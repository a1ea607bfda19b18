# ipmi_sim emulator commands (ipmi_sim_cmd(5)): one BMC at IPMB 0x20,
# with a SEL, as tests/cluster/harness.sh runs it for each host.
mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr
sel_enable 0x20 1000 0x0a
mc_enable 0x20
