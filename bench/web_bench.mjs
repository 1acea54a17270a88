// web_bench.mjs: the web row of `make bench` (DESIGN.md "The bar": every screen ≤ 3 API
// requests and content within 150 ms on the demo data). bench.py runs it with node; it
// uses the browser tests' harness (tests/e2e: Debian's chromium, playwright-core) and
// their demo environment (tests/e2e/screens.mjs: `lotsd demo --seed 1`, the plan loaded,
// a real lots-worker's indicators), logs in as each role and shows every screen of it
// by a hash change, VISITS rounds over all screens (LB_BENCH_VISITS, default 5), at
// 1280 px. Per visit it reads the app's own User Timing measure `lotsbok:screen`
// (navigation → content in <main>) and, from Resource Timing, the part of it spent
// waiting for API answers (the union of the /api/v1 fetches' request → response end).
// It prints one line per screen, for bench.py to parse:
//
//   screen WHO NAME req=N ms=V1,V2,… api=A1,A2,…
//
// and nothing is asserted here: bench.py holds the figures against the bar.

import {finish, login, logout, newPage, timedScreen} from '../tests/e2e/harness.mjs';
import {setup} from '../tests/e2e/screens.mjs';

const VISITS = Math.max(1, Number(process.env.LB_BENCH_VISITS || 5));
const env = await setup();

await finish(async () => {
    const pages = [];
    for (const [who] of env.roles) {
        const page = await newPage();
        await page.goto(`${env.BASE}/`);
        await login(page, who, env.pw(who));
        await page.waitForLoadState('networkidle');
        pages.push(page);
    }
    const seen = new Map(); // "who name" → {req, ms: [], api: []}
    for (let round = 0; round < VISITS; round++) {
        for (const [i, [who, routes]] of env.roles.entries()) {
            const page = pages[i];
            for (const [route, name] of routes) {
                const t = await timedScreen(page, () => page.evaluate(r => {
                    performance.clearResourceTimings();
                    if (location.hash === `#/${r}`) window.dispatchEvent(new HashChangeEvent('hashchange'));
                    else location.hash = `#/${r}`;
                }, route));
                const api = await page.evaluate(() => {
                    const m = performance.getEntriesByName('lotsbok:screen').pop();
                    if (!m) return null;
                    const end = m.startTime + m.duration;
                    const spans = performance.getEntriesByType('resource')
                        .filter(e => new URL(e.name).pathname.startsWith('/api/v1/') && e.startTime >= m.startTime &&
                            e.responseEnd <= end)
                        .map(e => [e.startTime, e.responseEnd]).sort((a, b) => a[0] - b[0]);
                    let sum = 0, from = 0, to = 0;
                    for (const [i, [a, b]] of spans.entries()) {
                        if (i === 0 || a > to) { sum += to - from; from = a; to = b; } else if (b > to) to = b;
                    }
                    return sum + to - from;
                });
                const key = `${who} ${name}`;
                if (!seen.has(key)) seen.set(key, {req: 0, ms: [], api: []});
                const s = seen.get(key);
                s.req = Math.max(s.req, t.requests.length);
                s.ms.push(t.ms ?? NaN);
                s.api.push(api ?? NaN);
            }
        }
    }
    for (const page of pages) {
        await logout(page);
        await page.context().close();
    }
    for (const [key, s] of seen)
        console.log(`screen ${key} req=${s.req} ms=${s.ms.map(x => x.toFixed(1)).join(',')} ` +
            `api=${s.api.map(x => x.toFixed(1)).join(',')}`);
});
