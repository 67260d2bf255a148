// Progressive enhancement only: every action works without this file.
document.addEventListener("click", (event) => {
  const copy = event.target.closest("[data-copy]");
  if (copy) {
    const input = document.getElementById(copy.dataset.copy);
    input.select();
    navigator.clipboard?.writeText(input.value);
    const label = copy.textContent;
    copy.textContent = copy.dataset.copied || label;
    setTimeout(() => { copy.textContent = label; }, 1500);
    return;
  }
  // A click anywhere on an order row opens the order (the code cell is a real link).
  const row = event.target.closest("tr[data-href]");
  if (row && !event.target.closest("a, button, input, select")) {
    if (event.metaKey || event.ctrlKey) window.open(row.dataset.href);
    else window.location.href = row.dataset.href;
  }
});

// The payment link is selected whole when focused, ready to copy.
document.addEventListener("focusin", (event) => {
  if (event.target.matches?.("[data-select-on-focus]")) event.target.select();
});
