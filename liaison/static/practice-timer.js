// An optional timer for practice answers: shows elapsed time, can be paused, and sends the seconds taken.
(function () {
  const timer = document.getElementById("timer");
  const form = document.getElementById("practice-form");
  if (!timer || !form) return;
  const value = document.getElementById("timer-value");
  const toggle = document.getElementById("timer-toggle");
  const hidden = form.querySelector("input[name=seconds_taken]");
  let seconds = 0;
  let running = true;
  timer.hidden = false;
  setInterval(function () {
    if (!running) return;
    seconds += 1;
    value.textContent = Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
    if (hidden) hidden.value = String(seconds);
  }, 1000);
  toggle.addEventListener("click", function () {
    running = !running;
    toggle.textContent = running ? "Pause" : "Resume";
  });
})();
