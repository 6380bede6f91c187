import init, { MSTL } from '@bsull/augurs/mstl';
try { const m = MSTL.ets([24]); console.log('no-init construct ok'); } catch (e) { console.log('no-init construct:', e.constructor.name, e.message); }
try { await init(); console.log('default init() ok'); } catch (e) { console.log('default init():', e.constructor.name, e.message); }
