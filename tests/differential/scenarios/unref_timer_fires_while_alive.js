'use strict';
const trace = require('../trace.js');

const u = setTimeout(() => trace.log("unref'd 2ms"), 2);
u.unref();
const r = setTimeout(() => trace.log("re-ref'd 6ms"), 6);
r.unref();
r.ref();
trace.log('has_ref', u.hasRef() ? 1 : 0, r.hasRef() ? 1 : 0);
