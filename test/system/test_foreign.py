"""Foreign mappings under Bochs (test/guests/foreign.c): dom0 maps a domU's
frames with XENMEM_add_to_physmap_batch (XENMAPSPACE_gmfn_foreign), reads
what the domU wrote and writes what the domU then reads, removes the
mappings with XENMEM_remove_from_physmap, gets Xen 4.19's errno for every
refusal, acts on the paused domU's memory (populate_physmap,
decrease_reservation), and destroys the domU while it maps the domU's
page: the hypervisor revokes that mapping first (logged) and dom0's gfn
then reads as a hole (all ones), not the freed frame.  dom0 ends with a
second domU's page mapped: its entry is dropped, and that domU runs on and
gets every frame back.  The domU itself finds the same calls refused."""

import os

import pytest

import hvout
from conftest import REPO
from hvout import describe, exit_reason, guest

FOREIGN = os.path.join(REPO, "build", "guests", "foreign.elf")

pytestmark = [pytest.mark.boot, pytest.mark.bochs]


def counts(run, dom):
    c = guest(run.serial, dom, r"foreign: (\d+) checks, (\d+) failed")
    assert c is not None, describe(run)
    return int(c[0]), int(c[1])


@pytest.mark.parametrize("cpus", [1, 2])
def test_dom0_maps_a_domus_frames(hvrun, cpus):
    run = hvrun("--emulator", "bochs", "--cpus", str(cpus),
                "--dom0", FOREIGN,
                "--domu", FOREIGN + ",cmdline=role=domu",
                "--domu", FOREIGN + ",cmdline=role=keep", "--timeout", "180")
    assert run.status == 0, describe(run)
    ls = hvout.lines(run.serial)
    assert not [l for l in ls if "foreign: FAIL" in l], describe(run)

    n, failed = counts(run, "dom0")
    assert failed == 0 and n >= 80, describe(run)
    assert hvout.has_line(run.serial, "(dom0) TEST PASS"), describe(run)
    # The domU's own refusals ran before it filled its marker.
    assert guest(run.serial, "domu1", r"foreign: domU 1: (\d+) checks, 0 failed") == ("9",), \
        describe(run)
    # What dom0 wrote through its mapping reached the domU, and back.
    assert hvout.has_line(run.serial, "(domu1) foreign: domU saw dom0's write 0xd0d00001"), \
        describe(run)
    assert hvout.has_line(run.serial,
                          "(dom0) foreign: dom0 sees domu1's marker (magic 0x464f524e, domid 1, "
                          "ack 0xd0d00002)"), describe(run)

    # The destroy revoked dom0's mapping before domu1's frames went back,
    # every one of them (less the page shared_info replaced).
    i = ls.index("domu1: destroyed by dom0")
    assert ls[i + 1] == "domu1: 1 foreign mappings of its frames revoked in dom0", describe(run)
    assert hvout.has_line(run.serial, "domu1: destroyed (16383 frames given back)"), describe(run)
    # dom0 ended with domu2's page mapped: the entry was dropped, not freed
    # as dom0's RAM, and domu2 ran on and gave everything back.
    assert hvout.has_line(run.serial, "dom0: 1 foreign mappings it made dropped"), describe(run)
    assert hvout.has_line(run.serial, "dom0: shut down (16383 frames given back)"), describe(run)
    assert hvout.has_line(run.serial, "(domu2) foreign: keep: dom0 has left"), describe(run)
    assert counts(run, "domu2") == (2, 0), describe(run)
    assert hvout.has_line(run.serial, "domu2: shut down (16383 frames given back)"), describe(run)
    assert exit_reason(run.serial, "dom0") == "poweroff", describe(run)
    assert exit_reason(run.serial, "domu2") == "poweroff", describe(run)
    assert exit_reason(run.serial, "domu1") is None, describe(run)
    for l in ls:
        assert "not given back" not in l and "mappings of its frames not found" not in l, l
        assert "unhandled VM exit" not in l and "VM entry failed" not in l, l
