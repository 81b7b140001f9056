"""Benchmark: how long the coded review form PDF takes to render.

    .venv/bin/python bench/review_form.py [--runs 30] [--batch 50]

Creates its data in a temporary SQLite database (nothing else is touched),
warms the process up, then renders single four-page forms with the cache
bypassed and prints median and p90 in milliseconds, then one batch PDF of
``--batch`` forms and prints its duration in seconds. The target on the
reference machine: median ≤ 250 ms per form, 50-form batch ≤ 5 s.

Then the names (issue 14), in the same run: the same form laid out for a common
name, for the same page with every hanzi replaced by a Latin letter, and for rare
names (Extension A, B, F: the second shipped face), timed in turns, min and median
of ``--name-runs`` each, with the PDF sizes. Targets: common ≤ 1.15× Latin,
rare ≤ 1.2× common, rare PDF ≤ 1.5× common.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(db_path: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "docregistry.settings.test"
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_applications(count: int):
    import datetime

    from docregistry.registrations import services
    from docregistry.registrations.models import Application, WorkPeriod
    from tests.factories import InstitutionFactory, PhysicianFactory, StaffFactory, application_for

    institution = InstitutionFactory(name="北京协和医院", address="北京市东城区帅府园1号")
    StaffFactory(institution=institution)
    names = ["张伟", "王芳", "李娜", "欧阳靖宇", "买买提·艾力", "刘洋", "陈静", "杨磊", "赵丽", "黄晓明"]
    pks = []
    for i in range(count):
        physician = PhysicianFactory(real_name=names[i % len(names)])
        app = application_for(physician, institution, remarks="")
        WorkPeriod.objects.create(
            application=app,
            starts_on=datetime.date(2012, 9, 1),
            ends_on=datetime.date(2017, 7, 1),
            employer="北京大学医学部",
            position="学生",
        )
        WorkPeriod.objects.create(
            application=app, starts_on=datetime.date(2017, 8, 1), employer=institution.name, position="住院医师"
        )
        services.application_submit(application=app, actor=physician)
        pks.append(app.pk)
    return list(
        Application.objects.filter(pk__in=pks)
        .select_related("institution", "physician")
        .prefetch_related("work_periods")
        .order_by("pk")
    )


COMMON_NAMES = ["张伟", "王芳", "李娜"]
RARE_NAMES = ["刘䶮", "王𠮷𠁫", "周𭕄𬼔"]  # Extension A; B (one character from each face); F


def latin(html: str) -> str:
    """The same page with every hanzi and CJK punctuation mark as a Latin letter."""
    return "".join(chr(0x61 + ord(c) % 26) if ord(c) >= 0x3000 else c for c in html)


def compare_names(make_html, runs: int) -> None:
    from docregistry.registrations import reviewform

    common = [make_html(name) for name in COMMON_NAMES]
    variants = {"latin": [latin(h) for h in common], "common": common, "rare": [make_html(n) for n in RARE_NAMES]}
    started = time.perf_counter()
    reviewform._write_pdf(variants["rare"][0])
    print(f"first rare-name form in this process: {(time.perf_counter() - started) * 1000:.0f} ms")
    times, cpu, sizes = ({k: [] for k in variants} for _ in range(3))
    for i in range(runs):
        for kind, pages in variants.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            pdf = reviewform._write_pdf(pages[i % len(pages)])
            times[kind].append((time.perf_counter() - started) * 1000)
            cpu[kind].append((time.process_time() - started_cpu) * 1000)
            sizes[kind].append(len(pdf))
    size = {k: statistics.median(v) / 1024 for k, v in sizes.items()}
    for kind in variants:
        print(
            f"  {kind:6} form, {runs} runs: wall min {min(times[kind]):.0f} ms, median {statistics.median(times[kind]):.0f} ms;"
            f" CPU min {min(cpu[kind]):.0f} ms, median {statistics.median(cpu[kind]):.0f} ms; PDF {size[kind]:.0f} KiB"
        )

    def ratio(a, b, label, target):
        parts = [
            f"{what} {fn(series[a]) / fn(series[b]):.2f}×"
            for what, series in (("wall", times), ("CPU", cpu))
            for fn in (min, statistics.median)
        ]
        named = [p.replace("×", f"× {n}") for p, n in zip(parts, ["min", "median"] * 2, strict=True)]
        print(f"{label}: {', '.join(named)} (target ≤ {target}×)")

    ratio("common", "latin", "common-name form / Latin text", 1.15)
    ratio("rare", "common", "rare-name form / common-name form", 1.2)
    print(f"PDF size rare / common: {size['rare'] / size['common']:.2f}× (target ≤ 1.5×)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="single forms to time")
    parser.add_argument("--batch", type=int, default=50, help="forms in the batch PDF")
    parser.add_argument("--name-runs", type=int, default=15, help="forms of each kind in the names comparison")
    args = parser.parse_args()

    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-reviewform-") as tmp:
        setup_django(Path(tmp) / "bench.sqlite3")
        import shutil

        from django.conf import settings

        from docregistry.registrations import rendered, reviewform

        applications = make_applications(max(args.batch, 10))

        started = time.perf_counter()
        reviewform.render_review_form(applications[0], use_cache=False)
        print(
            f"first render (cold process: font registered, stylesheet parsed): {(time.perf_counter() - started) * 1000:.0f} ms"
        )
        for app in applications[1:4]:  # warm-up
            reviewform.render_review_form(app, use_cache=False)

        times, cpu = [], []
        for i in range(args.runs):
            app = applications[i % len(applications)]
            started, started_cpu = time.perf_counter(), time.process_time()
            pdf = reviewform.render_review_form(app, use_cache=False)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        times.sort()
        p90 = times[min(len(times) - 1, int(round(0.9 * len(times))) - 1)]
        print(
            f"single form (cover + 4 pages), {args.runs} runs: median {statistics.median(times):.0f} ms, "
            f"p90 {p90:.0f} ms, min {times[0]:.0f} ms ({len(pdf) / 1024:.0f} KiB); "
            f"CPU time median {statistics.median(cpu):.0f} ms"
        )

        from docregistry.registrations.models import Application
        from tests.factories import PhysicianFactory, application_for

        def name_form_html(name):
            physician = PhysicianFactory(real_name=name)
            app = application_for(physician, applications[0].institution, remarks="")
            return reviewform.review_form_html([Application.objects.get(pk=app.pk)])

        compare_names(name_form_html, max(3, args.name_runs))

        reviewform.render_review_form(applications[0])
        started = time.perf_counter()
        reviewform.render_review_form(applications[0])
        print(f"cached form: {(time.perf_counter() - started) * 1000:.2f} ms")

        batch = applications[: args.batch]
        shutil.rmtree(Path(settings.MEDIA_ROOT) / rendered.FOLDER, ignore_errors=True)  # none kept
        before = os.times()
        started = time.perf_counter()
        pdf = reviewform.render_review_forms(batch)
        seconds = time.perf_counter() - started
        after = os.times()
        cpu_seconds = sum(after[:4]) - sum(before[:4])  # this process and its render workers
        print(
            f"batch of {len(batch)} forms ({5 * len(batch)} pages), none cached, "
            f"{reviewform.render_workers()} render processes: {seconds:.2f} s "
            f"({len(pdf) / 1024:.0f} KiB; CPU time {cpu_seconds:.2f} s)"
        )
        started = time.perf_counter()
        pdf = reviewform.render_review_forms(batch)
        seconds = time.perf_counter() - started
        print(f"the same batch again, every form cached: {seconds:.2f} s")
        reviewform.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
