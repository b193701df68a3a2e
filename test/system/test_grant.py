"""Grant tables v1 between two domains under Bochs: dom0 grants pages to
domu1, which maps one, reads and writes it, copies both ways, checks that
bad requests get Xen 4.19's GNTST codes and unmaps (test/guests/grant.c).
The die= variants end one side while the page is mapped: the hypervisor
must undo the mapping in the survivor and give every frame back."""

import os

import pytest

import hvout
from conftest import REPO
from hvout import describe

GRANT = os.path.join(REPO, "build", "guests", "grant.elf")

pytestmark = [pytest.mark.boot, pytest.mark.bochs]


def run_pair(hvrun, die="", cpus=1):
    return hvrun("--emulator", "bochs", "--cpus", str(cpus),
                 "--dom0", GRANT + ",cmdline=role=granter die=" + die,
                 "--domu", GRANT + ",cmdline=role=mapper die=" + die, "--timeout", "120")


def common_checks(run):
    ls = hvout.lines(run.serial)
    assert run.status == 0, describe(run)
    assert not [l for l in ls if "grant: FAIL" in l], describe(run)
    assert not [l for l in ls if "not given back" in l], describe(run)
    # Every RAM frame came back: domu1's 64 MiB whole (a grant mapping only
    # covered one of its pages), dom0's less the page its grant table frame
    # replaced (Xen frees that page too).
    assert hvout.has_line(run.serial, "domu1: shut down (16384 frames given back)"), describe(run)
    assert hvout.has_line(run.serial, "dom0: shut down (16383 frames given back)"), describe(run)
    assert hvout.has_line(run.serial, "(dom0) TEST PASS"), describe(run)
    return ls


# On two CPUs the granter and the mapper run on different ones.
@pytest.mark.parametrize("cpus", [1, 2])
def test_map_copy_unmap(hvrun, cpus):
    run = run_pair(hvrun, cpus=cpus)
    ls = common_checks(run)
    assert hvout.has_line(run.serial, "(domu1) TEST PASS"), describe(run)
    for what in ("map ref 10 of dom0", "pattern through the mapping",
                 "map a read-only grant writable", "copy into the read-only grant",
                 "copy into a bad ref", "own page back after unmap", "unmap again"):
        assert hvout.has_line(run.serial, "(domu1) grant: ok " + what), describe(run)
    for what in ("mapped writable: GTF_reading|GTF_writing set",
                 "unmapped: flags back to GTF_permit_access", "mapper's grant copy arrived"):
        assert hvout.has_line(run.serial, "(dom0) grant: ok " + what), describe(run)
    # Nothing was left for the teardown to undo.
    assert not [l for l in ls if "grant mappings undone" in l], describe(run)


def test_granter_dies_while_mapped(hvrun):
    run = run_pair(hvrun, "granter")
    common_checks(run)
    assert hvout.has_line(
        run.serial, "dom0: grant mappings undone: 0 it made, 1 of its grants in other domains"), \
        describe(run)
    assert hvout.has_line(run.serial, "(domu1) grant: ok own page back after the granter died"), \
        describe(run)
    assert hvout.has_line(run.serial, "(domu1) grant: ok unmap after the granter died"), \
        describe(run)
    assert hvout.has_line(run.serial, "(domu1) grant: ok handle gone with the granter"), \
        describe(run)
    assert hvout.has_line(run.serial, "(domu1) TEST PASS"), describe(run)


def test_mapper_dies_while_mapped(hvrun):
    run = run_pair(hvrun, "mapper")
    common_checks(run)
    assert hvout.has_line(
        run.serial, "domu1: grant mappings undone: 1 it made, 0 of its grants in other domains"), \
        describe(run)
    assert hvout.has_line(run.serial, "(dom0) grant: ok mapper died: flags back to GTF_permit_access"), \
        describe(run)
