"""Run inside netschoolapi 11.0.5's own virtualenv (tests/test_netschool_clients.py): log in with an app password,
print JSON of the week's diary, overdue work, announcements, the school card and one homework's attachments."""
import asyncio
import dataclasses
import datetime
import json
import sys

from netschoolapi import NetSchoolAPI


def plain(value):
    if dataclasses.is_dataclass(value):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return value


async def main(url, login, password, school, start):
    start = datetime.date.fromisoformat(start)
    end = start + datetime.timedelta(days=5)
    ns = NetSchoolAPI(url, default_requests_timeout=20)
    await ns.login(login, password, school)
    diary = await ns.diary(start, end)
    homework = [a.id for d in diary.schedule for lesson in d.lessons for a in lesson.assignments if a.id < 0]
    out = {"diary": plain(diary), "overdue": plain(await ns.overdue(start, end)),
           "announcements": plain(await ns.announcements()), "school": plain(await ns.school()),
           "attachments": plain(await ns.attachments(homework[0])) if homework else None}
    await ns.full_logout()
    print(json.dumps(out, ensure_ascii=False))


asyncio.run(main(*sys.argv[1:]))
