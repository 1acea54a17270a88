// phone_story.mjs: every screen of the web interface on the demo data at 390 px
// (issue 25, item 6): no page wider than the phone, at most three API requests per
// screen, axe-core with no violation of any impact on the lots's and the handler's
// screens (the viewer's and the admin's are the same screens, checked at 1280 px by
// day_story.mjs). Shared parts in screens.mjs.

import {finish} from './harness.mjs';
import {setup, tour, printTimes} from './screens.mjs';

const env = await setup();

await finish(async () => {
    const times = await tour(env, 390, who => who === 'anna.lots' || who === 'bygglov.handl');
    printTimes('screen times at 390 px:', times);
});
