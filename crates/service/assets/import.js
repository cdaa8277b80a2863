// The import page's live progress: asks the server how the job is going
// every half second and moves the bar in place, then reloads the page once
// the job has ended, to show what each file gave. Without this script the
// page refreshes itself every second (<noscript> meta refresh) instead.
(function () {
  'use strict';
  var job = document.querySelector('.job[data-running]');
  if (!job || !window.fetch) return;
  var url = job.getAttribute('data-job');
  var bar = job.querySelector('progress');
  var state = document.getElementById('job-state');
  var items = document.querySelectorAll('.files .file-status');
  function tick() {
    fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.json();
      })
      .then(function (s) {
        if (s.done) {
          window.location.reload();
          return;
        }
        bar.value = s.percent;
        bar.textContent = s.percent + ' %';
        var text = state.textContent.replace(/\d+\s?%$/, '');
        state.textContent = text + s.percent + (document.documentElement.lang === 'fr' ? '\u00a0%' : '%');
        for (var i = 0; i < items.length && i < s.files.length; i++) {
          items[i].textContent = s.files[i];
        }
        setTimeout(tick, 500);
      })
      .catch(function () {
        setTimeout(tick, 2000);
      });
  }
  setTimeout(tick, 500);
})();
