// phone_story.mjs: every screen of the web interface on the demo data at 390 px
// (issue 25, item 6): no page wider than the phone, at most three API requests per
// screen, the time to content printed, axe-core with no violation of any impact on the lots's
// and the handler's screens and on the first screen of the viewer and the admin (their
// header; the screens themselves are the same, and day_story.mjs checks them all at
// 1280 px). Shared parts in screens.mjs.

import {finish} from './harness.mjs';
import {setup, tour, loggedOut, printTimes} from './screens.mjs';

const env = await setup();

await finish(async () => {
    await loggedOut(env, 390);
    const seen = new Set();
    // axe on every screen of the lots and the handler (between them every screen there
    // is); the viewer's and the admin's first screen for their own header and menu.
    const times = await tour(env, 390, (who, name) => ['anna.lots', 'bygglov.handl'].includes(who) ||
        (!seen.has(who) && seen.add(who)));
    printTimes('screen times at 390 px:', times);
});
