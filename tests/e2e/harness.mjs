// harness.mjs: what every browser story shares. A story (tests/e2e/*_story.mjs, one
// ctest each: e2e/<name>) imports it, calls `startLotsd()`, drives Debian's chromium
// through playwright-core and ends with `finish(main)`:
//
//   import * as h from './harness.mjs';
//   const lotsd = await h.startLotsd();            // a real lotsd, temp data dir
//   await h.finish(async () => {
//       const page = await h.newPage();             // problems (dialogs, page errors) collected
//       await page.goto(`${lotsd.base}/`);
//       await h.screen(page, 'name');               // screenshot + axe-core
//       h.check(cond, 'what the user relies on');
//   });
//
// Environment: LB_BUILD_DIR (lotsd), LB_SOURCE_DIR (the repository).

import {spawn, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium} from 'playwright-core';
import axe from 'axe-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SRC = process.env.LB_SOURCE_DIR || path.resolve(HERE, '../..');
export const BUILD = process.env.LB_BUILD_DIR || path.join(SRC, 'build');
export const WEB = path.join(SRC, 'web');
export const SHOTS = path.join(HERE, 'screenshots');
export const CHROMIUM = '/usr/bin/chromium';
const started = Date.now();

let failures = 0;
export function check(ok, what) {
    if (ok) console.log(`ok   ${what}`);
    else { failures++; console.log(`FAIL ${what}`); }
}
export function fatal(what) {
    console.error(`FAIL ${what}`);
    process.exitCode = 1;
    throw new Error(what);
}

// --- lotsd -------------------------------------------------------------------

const cleanups = [];

// A free TCP port on loopback (for the ZeroMQ endpoints a worker must know).
async function freePort() {
    const net = await import('node:net');
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.once('error', reject);
        srv.listen(0, '127.0.0.1', () => { const {port} = srv.address(); srv.close(() => resolve(port)); });
    });
}

// Starts `lotsd init` + `lotsd serve` on loopback ports with a temp data directory and
// the admin `admin`/ADMIN_PW; extra serve arguments in opts.args. opts.demo: fill the
// environment with `lotsd demo --seed 1` first (docs/demo.md; its logins in `logins`,
// username → password). opts.worker: also run lots-worker against it (the follow-ups
// and the quarterly indicators; stopped with everything else). Answers
// {base, data, tmp, adminPassword, process, logins, serviceToken()}.
// opts.setup(data, env) runs after init (and the demo), before serve.
export const ADMIN_PW = 'admin-lösen-1';
export async function startLotsd(opts = {}) {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lotsbok-e2e-'));
    const data = path.join(tmp, 'data');
    const env = {...process.env, LOTSBOK_PWHASH_FAST: '1', ...(opts.env || {})};
    fs.writeFileSync(path.join(tmp, 'admin.pw'), `${ADMIN_PW}\n`, {mode: 0o600});
    const init = spawnSync(path.join(BUILD, 'lotsd'), ['init', '--data', data, '--admin', 'admin',
        '--password-file', path.join(tmp, 'admin.pw')], {env, encoding: 'utf8'});
    if (init.status !== 0) fatal(`lotsd init: ${init.stderr}`);
    const logins = {};
    if (opts.demo) {
        const demo = spawnSync(path.join(BUILD, 'lotsd'), ['demo', '--data', data, '--seed', '1'], {env, encoding: 'utf8'});
        if (demo.status !== 0) fatal(`lotsd demo: ${demo.stderr}`);
        for (const line of fs.readFileSync(path.join(data, 'demo-logins.txt'), 'utf8').split('\n')) {
            const m = line.match(/^([a-z0-9._-]+)\s+(\S+)\s+(lots|handler|viewer)\b/);
            if (m) logins[m[1]] = m[2];
        }
    }
    if (opts.setup) opts.setup(data, env); // e.g. lotsd plan load, before serve
    const pub = opts.worker ? `tcp://127.0.0.1:${await freePort()}` : 'tcp://127.0.0.1:0';
    const replay = opts.worker ? `tcp://127.0.0.1:${await freePort()}` : 'tcp://127.0.0.1:0';
    const logPath = path.join(tmp, 'lotsd.log');
    const log = fs.openSync(logPath, 'a');
    const proc = spawn(path.join(BUILD, 'lotsd'), ['serve', '--data', data, '--listen', '127.0.0.1:0',
        '--pub', pub, '--replay', replay, '--web', WEB, '--quiet',
        ...(opts.args || [])], {env, stdio: ['ignore', log, log]});
    cleanups.push(() => {
        if (proc.exitCode === null) proc.kill('SIGTERM');
        fs.rmSync(tmp, {recursive: true, force: true});
    });
    let port = 0;
    for (let i = 0; i < 400 && !port; i++) {
        const m = fs.readFileSync(logPath, 'utf8').match(/msg="listening".* port=(\d+)/);
        if (m) port = Number(m[1]);
        else if (proc.exitCode !== null) break;
        else await new Promise(r => setTimeout(r, 25));
    }
    if (!port) fatal(`lotsd did not start:\n${fs.readFileSync(logPath, 'utf8')}`);
    const base = `http://127.0.0.1:${port}`;
    if (opts.worker) {
        const wlog = fs.openSync(path.join(tmp, 'worker.log'), 'a');
        const worker = spawn(path.join(BUILD, 'lots-worker'), ['--data', path.join(tmp, 'worker'), '--server', base,
            '--token-file', path.join(data, 'worker.token'), '--sub', pub, '--replay', replay],
        {env, stdio: ['ignore', wlog, wlog]});
        cleanups.unshift(() => { if (worker.exitCode === null) worker.kill('SIGTERM'); });
    }
    return {base, data, tmp, env, process: proc, adminPassword: ADMIN_PW, logins,
        serviceToken: () => fs.readFileSync(path.join(data, 'worker.token'), 'utf8').trim()};
}

// One API call: {status, json, headers}. p is under /api/v1.
export async function call(base, method, p, token, body, headers) {
    const res = await fetch(`${base}/api/v1${p}`, {
        method, body: body === undefined ? undefined : JSON.stringify(body),
        headers: {...(body === undefined ? {} : {'Content-Type': 'application/json'}),
            ...(token ? {Authorization: `Bearer ${token}`} : {}), ...(headers || {})},
    });
    const text = await res.text();
    return {status: res.status, json: text ? JSON.parse(text) : null, headers: res.headers};
}

// A session token for username/password.
export async function token(base, username, password) {
    const r = await call(base, 'POST', '/sessions', null, {username, password});
    if (r.status !== 201) fatal(`login ${username}: ${r.status}`);
    return r.json.token;
}

// --- dates and numbers -----------------------------------------------------------

export function stockholmToday() {
    return new Intl.DateTimeFormat('sv-SE', {timeZone: 'Europe/Stockholm', year: 'numeric', month: '2-digit',
        day: '2-digit'}).format(new Date());
}
export function quarterOf(d) {
    return `${d.slice(0, 4)}-Q${Math.floor((Number(d.slice(5, 7)) - 1) / 3) + 1}`;
}
export function previousQuarter(q) {
    const y = Number(q.slice(0, 4)), k = Number(q.slice(6));
    return k === 1 ? `${y - 1}-Q4` : `${y}-Q${k - 1}`;
}
// Nine digits and their Luhn check digit: a valid organisationsnummer.
export function luhnNine(nine) {
    let s = 0;
    for (let i = 0; i < 9; i++) { const v = Number(nine[i]) * (i % 2 === 0 ? 2 : 1); s += Math.floor(v / 10) + v % 10; }
    return nine + String((10 - s % 10) % 10);
}

// --- the browser ---------------------------------------------------------------

let browser = null;
export const problems = [];

// A fresh context and page (1280 × 900 unless opts.viewport; opts.colorScheme 'dark'
// for dark mode), Swedish locale and Stockholm time; dialogs, page errors and console errors are collected in `problems`.
export async function newPage(opts = {}) {
    if (!browser)
        browser = await chromium.launch({executablePath: CHROMIUM, headless: true,
            args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                '--disable-background-networking', '--disable-component-update', '--disable-sync']});
    const context = await browser.newContext({viewport: opts.viewport || {width: 1280, height: 900},
        locale: 'sv-SE', timezoneId: 'Europe/Stockholm', acceptDownloads: true, colorScheme: opts.colorScheme || 'light',
        javaScriptEnabled: opts.javaScriptEnabled !== false});
    const page = await context.newPage();
    page.setDefaultTimeout(10000);
    page.on('dialog', d => { problems.push(`dialog: ${d.message()}`); d.dismiss().catch(() => {}); });
    page.on('pageerror', e => problems.push(`page error: ${e.message}`));
    page.on('console', m => {
        if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    return page;
}

// A screenshot under tests/e2e/screenshots/NAME.png (the whole page unless
// opts.fullPage === false) and an axe-core run (WCAG 2.1 A/AA and best practice): no
// violation of at least opts.impact ('serious' unless given: serious and critical fail;
// 'minor' fails every violation).
export async function screen(page, name, opts = {}) {
    await page.waitForLoadState('networkidle');
    fs.mkdirSync(SHOTS, {recursive: true});
    // LB_E2E_PHONE: the same story at 390 px keeps its own screenshots.
    const file = process.env.LB_E2E_PHONE ? `${name}-phone.png` : `${name}.png`;
    await page.screenshot({path: path.join(SHOTS, file), fullPage: opts.fullPage !== false});
    const t = Date.now();
    if (!await page.evaluate(() => Boolean(window.axe))) await page.evaluate(axe.source); // once per document
    const r = await page.evaluate(() => window.axe.run(document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}}));
    const order = ['minor', 'moderate', 'serious', 'critical'];
    const floor = order.indexOf(opts.impact || 'serious');
    const bad = r.violations.filter(v => order.indexOf(v.impact) >= floor);
    if (process.env.LB_E2E_TIMES) console.log(`# axe ${name}: ${Date.now() - t} ms`);
    check(bad.length === 0, `${name}: no axe violation of impact ${order[floor]} or worse` +
        (bad.length ? `\n  ${bad.map(v => `${v.id}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`).join('\n  ')}` : ''));
}

// Shows a screen of the web interface by running `action` (a click, or
// `() => page.evaluate(...)` setting location.hash), waits until the app has put the new
// screen in <main> and the network is idle, and answers {requests, ms}: the API requests
// made meanwhile ("GET /cases?…", from Playwright's request log) and the app's own
// measure of navigation → content ("lotsbok:screen", User Timing, web/app.mjs).
export async function timedScreen(page, action) {
    const requests = [];
    const seen = r => {
        const u = new URL(r.url());
        if (u.pathname.startsWith('/api/v1/')) requests.push(`${r.method()} ${u.pathname.slice(7)}${u.search}`);
    };
    const before = await page.evaluate(() => document.getElementById('main').dataset.screen || '');
    page.on('request', seen);
    try {
        await action();
        await page.waitForFunction(b => {
            const m = document.getElementById('main');
            return (m.dataset.screen || '') !== b && !m.hasAttribute('aria-busy');
        }, before);
        await page.waitForLoadState('networkidle');
    } finally {
        page.off('request', seen);
    }
    const ms = await page.evaluate(() => {
        const m = performance.getEntriesByName('lotsbok:screen').pop();
        return m ? m.duration : null;
    });
    return {requests, ms};
}

// Whether the page is wider than the window (a horizontal scrollbar): the pixels too wide.
export async function overflow(page) {
    return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

export async function login(page, user, pw) {
    await page.getByLabel('Användarnamn').fill(user);
    await page.getByLabel('Lösenord').fill(pw);
    await page.getByRole('button', {name: 'Logga in'}).click();
    await page.getByRole('button', {name: 'Logga ut'}).waitFor();
}
export async function logout(page) {
    await page.getByRole('button', {name: 'Logga ut'}).click();
    await page.getByRole('heading', {name: 'Logga in i Lotsbok'}).waitFor();
    check(await page.evaluate(() => sessionStorage.getItem('lotsbok.token')) === null, 'logout clears the token');
}

// Runs the story, then closes the browser and every lotsd, and sets the exit code.
export async function finish(main) {
    try {
        await main();
        check(problems.length === 0,
            `no dialog, page error or console error${problems.length ? `:\n  ${problems.join('\n  ')}` : ''}`);
    } catch (e) {
        failures++;
        console.error(`FAIL ${e.stack || e}`);
        if (problems.length) console.error(`  browser problems:\n  ${problems.join('\n  ')}`);
    } finally {
        if (browser) await browser.close().catch(() => {});
        for (const c of cleanups) c();
    }
    console.log(`${failures ? 'FAILED' : 'passed'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    process.exitCode = failures ? 1 : 0;
}
