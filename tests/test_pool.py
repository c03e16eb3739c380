"""Units: pool.run shares a job's chunks with worker processes and keeps what `Job.keep` makes of each."""

from __future__ import annotations

import gc

import pytest
from conftest import page

from policysite import pool
from policysite.heap import frozen


def squares(start: int, stop: int) -> list[int]:
    return [n * n for n in range(start, stop)]


@pytest.mark.parametrize("processes", [1, 2])
def test_every_result_comes_back_in_order_through_keep(processes):
    count = pool.PARALLEL_THRESHOLD * 5 + 3
    seen = []   # the chunks `keep` was given, in this process

    def keep(results: list[int]) -> list[tuple[int, int]]:
        seen.append(len(results))
        return [(n, "kept") for n in results]

    ran = []
    out = pool.run(pool.Job(work=squares, count=count, keep=keep), processes, alongside=lambda: ran.append(1))
    assert out == [(n * n, "kept") for n in range(count)]
    assert sum(seen) == count and len(seen) > 1   # chunk by chunk, every one of them
    assert ran == [1]


@pytest.mark.parametrize("processes", [1, 2])
def test_results_are_left_out_of_the_collector_s_walks_as_they_come(processes):
    """Under a caller's freeze (stages.run's heap.frozen), each chunk's kept results
    are frozen as they come, in worker processes or not: full collections do not walk every
    result so far again and again."""
    count = pool.PARALLEL_THRESHOLD * 5 + 3
    with frozen():
        out = pool.run(pool.Job(work=squares, count=count, keep=lambda results: [[n] for n in results]), processes)
        collectable = {id(o) for generation in range(3) for o in gc.get_objects(generation=generation)}
        assert len(out) == count and not [r for r in out if id(r) in collectable]
    assert gc.get_freeze_count() == 0   # the caller's block, ending, lets them all go


def test_a_job_without_a_caller_s_freeze_leaves_nothing_frozen():
    """Without a caller's freeze, whatever the job froze is unfrozen as it ends: the results can
    be collected like anything else."""
    assert gc.get_freeze_count() == 0
    for processes in (1, 2):
        pool.run(pool.Job(work=squares, count=pool.PARALLEL_THRESHOLD * 5 + 3, keep=lambda results: [[n] for n in results]), processes)
        assert gc.get_freeze_count() == 0


def test_without_keep_results_are_as_made():
    count = pool.PARALLEL_THRESHOLD * 3
    assert pool.run(pool.Job(work=squares, count=count), 2) == squares(0, count)


def test_layout_links_are_kept_once_per_address(make_site):
    """Every page's OutputRecord lists the links its layout wrote; one address on many pages is one string."""
    from policysite.builder import BuildOptions, build
    from policysite.cache import BuildCache

    files = {"site_config.yaml": "title: T\nbase_url: https://www.example.gov.uk/\n"}
    files.update({f"content/policy/p{n}.md": page(f"Page {n}") for n in range(80)})
    site = make_site(files)
    cache = BuildCache()
    result = build(BuildOptions(site_dir=site, output=site / "_site", jobs=2), cache)
    assert result.ok
    holders: dict[str, list[int]] = {}
    for record in cache.outputs.values():
        for link in record.links:
            holders.setdefault(link, []).append(id(link))
    assert len(holders["/policy/"]) > 60
    assert all(len(set(ids)) == 1 for ids in holders.values())
