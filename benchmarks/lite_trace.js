// benchmarks/lite_phases.py --trace: prepended to a copy of the site's pyodide.js
// (in the kernel's worker). Reports what the worker does to the page, through a
// BroadcastChannel, each line "BPVTRACE <epoch ms> <what>". Diagnostics only.
;(function(){
 if (self.__bpvTrace) return; self.__bpvTrace = true;
 const bc = new BroadcastChannel('bpv-trace');
 const now = () => performance.timeOrigin + performance.now();
 const tr = m => bc.postMessage(`BPVTRACE ${now()} ${m}`);
 self.__bpvTr = tr;
 const W = WebAssembly;
 const oi = W.instantiate.bind(W), oc = W.compile.bind(W), ois = W.instantiateStreaming && W.instantiateStreaming.bind(W);
 const size = b => (b && (b.byteLength || (b.buffer && b.buffer.byteLength))) || 0;
 W.instantiate = async function(b, imp) { const t = now(); const r = await oi(b, imp); const isMod = b instanceof W.Module; tr(`wasm.instantiate ${isMod ? 'module' : (size(b)/1e6).toFixed(2)+'MB'} ${(now()-t).toFixed(0)}ms`); return r; };
 W.compile = async function(b) { const t = now(); const r = await oc(b); tr(`wasm.compile ${(size(b)/1e6).toFixed(2)}MB ${(now()-t).toFixed(0)}ms`); return r; };
 if (ois) W.instantiateStreaming = async function(resp, imp) { const t = now(); const r = await ois(resp, imp); tr(`wasm.instantiateStreaming ${(now()-t).toFixed(0)}ms`); return r; };
 const OM = W.Module;
 W.Module = function(b, ...a) { const t = now(); const m = new OM(b, ...a); if (size(b) > 1e4) tr(`wasm.Module sync ${(size(b)/1e6).toFixed(2)}MB ${(now()-t).toFixed(0)}ms`); return m; };
 W.Module.prototype = OM.prototype; Object.setPrototypeOf(W.Module, OM);
 for (const k of ['exports','imports','customSections']) W.Module[k] = OM[k];
 const of = self.fetch.bind(self);
 self.fetch = async function(u, o) { const t = now(); const r = await of(u, o); tr(`fetch ${String(u.url||u).split('/').pop().slice(0,60)} ${(now()-t).toFixed(0)}ms`); return r; };
 tr('pyodide.js start');
 const install = () => {
  const orig = self.loadPyodide;
  if (!orig || orig.__bpv) return;
  const wrapped = async function(opts) {
   tr('loadPyodide called ' + JSON.stringify(opts.packages||[]));
   // Diagnostic split: the core first, then the same packages, each install timed.
   const py = await orig({...opts, packages: []});
   tr('core ready (no packages)');
   await py.loadPackage(opts.packages || [], {messageCallback: () => {}});
   tr('loadPyodide resolved (packages loaded)');
   const rpa = py.runPythonAsync.bind(py);
   const rpaOne = async (code, o) => { const c = code.trim().split('\n').map(s=>s.trim()).join('; ').slice(0,100); tr('run> ' + c); try { return await rpa(code, o);} finally { tr('run< ' + c.slice(0,40)); } };
   py.runPythonAsync = async (code, o) => {
     const lines = code.split('\n');
     if (!code.includes('piplite.install') || lines.some(l => l.startsWith(' '))) return rpaOne(code, o);
     let r; for (const l of lines) if (l.trim()) r = await rpaOne(l, o); return r;
   };
   const lp = py.loadPackage.bind(py);
   py.loadPackage = async (n, o) => { tr('loadPackage> ' + n); try { return await lp(n, o); } finally { tr('loadPackage< ' + n); } };
   return py;
  };
  wrapped.__bpv = true; self.loadPyodide = wrapped;
 };
 self.__bpvInstall = install;
})();
