// Draws a call's per-turn latency and state timeline from the JSON the page embeds.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  const colors = {
    speaking: "#2f6fde", thinking: "#e0a030", listening: "#9ab8a0",
    idle: "#c8c8c8", initializing: "#dddddd", away: "#d06060",
  };

  new Chart(document.getElementById("latency-chart"), {
    type: "bar",
    data: {
      labels: data.turns.map((t) => t.label),
      datasets: [{
        label: "Latency (s)",
        data: data.turns.map((t) => t.latency),
        backgroundColor: "#2f6fde",
      }],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: { y: { beginAtZero: true, title: { display: true, text: "seconds" } } },
      plugins: {
        tooltip: {
          callbacks: {
            afterLabel: (ctx) => "at " + data.turns[ctx.dataIndex].at + " s into the call",
          },
        },
      },
    },
  });

  const states = [...new Set(data.timeline.map((s) => s.state))];
  new Chart(document.getElementById("timeline-chart"), {
    type: "bar",
    data: {
      labels: ["agent", "user"],
      datasets: states.map((state) => ({
        label: state,
        data: data.timeline
          .filter((s) => s.state === state)
          .map((s) => ({ x: [s.from, s.to], y: s.party })),
        backgroundColor: colors[state] || "#888888",
        grouped: false,
        barPercentage: 0.8,
      })),
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      indexAxis: "y",
      scales: {
        x: { type: "linear", min: 0, max: data.duration, title: { display: true, text: "seconds into the call" } },
      },
    },
  });
  document.body.dataset.chartsReady = "true";
})();
