"""Run inside either client's virtualenv (tests/test_netschool_clients.py): log in, read the week, print READY, wait
for a line on stdin (the test moves the server's clock past the token's idle limit), read the week again — the
client gets 401 and logs in again by itself — and print JSON: the lessons before and after, whether the token
changed."""
import asyncio
import datetime
import json
import sys


async def main(client, url, login, password, school, start):
    start = datetime.date.fromisoformat(start)
    if client == "netschoolapi":
        from netschoolapi import NetSchoolAPI  # noqa: PLC0415 — only one client is installed here
        ns = NetSchoolAPI(url, default_requests_timeout=20)
    else:
        from netschoolpy import NetSchool  # noqa: PLC0415 — only one client is installed here
        ns = NetSchool(url, timeout=20)
    await ns.login(login, password, school)
    before, token = await ns.diary(start), ns._access_token
    print("READY", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    after = await ns.diary(start)
    lessons = [sum(len(d.lessons) for d in x.schedule) for x in (before, after)]
    print(json.dumps({"before": lessons[0], "after": lessons[1], "relogged": ns._access_token != token}))
    if client == "netschoolapi":
        await ns.full_logout()
    else:
        await ns.close()


asyncio.run(main(*sys.argv[1:]))
