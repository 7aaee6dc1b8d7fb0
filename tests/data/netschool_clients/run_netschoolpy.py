"""Run inside netschoolpy 9.6.3's own virtualenv (tests/test_netschool_clients.py): log in with an app password,
print JSON of the week's diary, overdue work, announcements, the school card, an assignment's card."""
import asyncio
import datetime
import json
import sys

from netschoolpy import NetSchool


async def main(url, login, password, school, start):
    start = datetime.date.fromisoformat(start)
    end = start + datetime.timedelta(days=5)
    async with NetSchool(url, timeout=20) as ns:
        await ns.login(login, password, school)
        diary = await ns.diary(start, end)
        tasks = [a.id for d in diary.schedule for lesson in d.lessons for a in lesson.assignments if a.id > 0]
        out = {"students": [s.model_dump(mode="json") for s in ns.students],
               "diary": diary.model_dump(mode="json"),
               "overdue": [a.model_dump(mode="json") for a in await ns.overdue(start, end)],
               "announcements": [a.model_dump(mode="json") for a in await ns.announcements()],
               "school": (await ns.school_info()).model_dump(mode="json"),
               "card": (await ns.assignment_details(tasks[0])).model_dump(mode="json") if tasks else None}
    print(json.dumps(out, ensure_ascii=False))


asyncio.run(main(*sys.argv[1:]))
