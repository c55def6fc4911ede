// Turnaround dashboard: one Chart.js chart per segment, from the JSON in each canvas's data-chart
// (median and 90th percentile per ISO week, the target as a dashed line, the share within target on a
// second axis). The tables under the charts hold the same figures for readers without JavaScript.
(function () {
  'use strict';
  function draw(canvas) {
    var d = JSON.parse(canvas.getAttribute('data-chart'));
    var datasets = [
      { type: 'line', label: 'median (' + d.unit + ')', data: d.median, borderColor: '#0969da',
        backgroundColor: '#0969da', spanGaps: false, yAxisID: 'y' },
      { type: 'line', label: '90th percentile (' + d.unit + ')', data: d.p90, borderColor: '#bc4c00',
        backgroundColor: '#bc4c00', borderDash: [2, 2], spanGaps: false, yAxisID: 'y' }
    ];
    if (d.target !== null) {
      datasets.push({ type: 'line', label: 'target (' + d.target + ' ' + d.unit + ')',
        data: d.labels.map(function () { return d.target; }), borderColor: '#cf222e', borderDash: [8, 4],
        pointRadius: 0, yAxisID: 'y' });
      datasets.push({ type: 'bar', label: 'within target (%)', data: d.withinShare,
        backgroundColor: 'rgba(26, 127, 55, 0.25)', yAxisID: 'share' });
    }
    var scales = { y: { beginAtZero: true, title: { display: true, text: d.unit } } };
    if (d.target !== null) {
      scales.share = { position: 'right', min: 0, max: 100, grid: { drawOnChartArea: false },
        title: { display: true, text: 'within target (%)' } };
    }
    new window.Chart(canvas, {
      data: { labels: d.labels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: scales,
        plugins: { tooltip: { callbacks: { afterBody: function (items) {
          return items.length ? 'n = ' + d.n[items[0].dataIndex] : '';
        } } } }
      }
    });
  }
  function drawAll() {
    if (!window.Chart) { return; }
    document.querySelectorAll('canvas[data-chart]').forEach(draw);
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', drawAll);
  } else {
    drawAll();
  }
})();
