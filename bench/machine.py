"""What the numbers were taken on: the date, `nproc`, `uname -m`, the CPU model, memory, Python,
SQLite and PostgreSQL versions."""
import os
import platform
import sqlite3
import sys
from datetime import datetime, timezone


def cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def memory_gb():
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def describe(pg_version=None):
    """[(label, value)] for the head of RESULTS.md."""
    rows = [
        ("Дата", datetime.now(timezone.utc).strftime("%d.%m.%Y %H:%M UTC")),
        ("Машина", f"nproc = {len(os.sched_getaffinity(0))}, {platform.machine()}, {cpu_model()}"
                   + (f", {memory_gb()} ГБ ОЗУ" if memory_gb() else "")),
        ("Python", sys.version.split()[0]),
        ("SQLite", sqlite3.sqlite_version),
    ]
    if pg_version:
        rows.append(("PostgreSQL", pg_version))
    return rows
