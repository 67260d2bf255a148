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

// The order list's head box ticks (or unticks) every order box on the page.
document.addEventListener("change", (event) => {
  const all = event.target.closest?.("[data-check-all]");
  if (!all) return;
  for (const box of document.querySelectorAll(`input[type=checkbox][name="${all.dataset.checkAll}"]`)) {
    box.checked = all.checked;
  }
});

// The payment link is selected whole when focused, ready to copy.
document.addEventListener("focusin", (event) => {
  if (event.target.matches?.("[data-select-on-focus]")) event.target.select();
});

// Phones: the header's menu folds behind its Menu button. Without this script the button stays
// hidden and the menu open, so every link is still there. Only a signed-in person's menu folds:
// a customer's header holds just the language switch, which stays in sight.
(() => {
  const header = document.querySelector(".topbar");
  const toggle = header?.querySelector(".nav-toggle");
  if (!toggle || !header.querySelector(".topbar-menu nav, .topbar-menu .who")) return;
  header.classList.add("nav-collapsible");
  toggle.hidden = false;
  toggle.addEventListener("click", () => {
    const open = header.classList.toggle("nav-open");
    toggle.setAttribute("aria-expanded", String(open));
  });
  // Escape closes the open menu and gives the focus back to its button.
  header.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && header.classList.contains("nav-open")) {
      header.classList.remove("nav-open");
      toggle.setAttribute("aria-expanded", "false");
      toggle.focus();
    }
  });
})();

// A table wider than its box scrolls inside it; keyboard users scroll it too once it takes the
// focus (WCAG 2.1.1), and a screen reader names it after its section's heading.
const makeWideTablesFocusable = () => {
  for (const wrap of document.querySelectorAll(".table-wrap")) {
    const wide = wrap.scrollWidth > wrap.clientWidth;
    if (wide && !wrap.dataset.scrollRegion) {
      wrap.dataset.scrollRegion = "1";
      wrap.tabIndex = 0;
      const heading = wrap.closest("section, .card")?.querySelector("h2, h1");
      if (heading) {
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", heading.textContent.trim());
      }
    } else if (!wide && wrap.dataset.scrollRegion) {
      delete wrap.dataset.scrollRegion;
      for (const name of ["tabindex", "role", "aria-label"]) wrap.removeAttribute(name);
    }
  }
};
makeWideTablesFocusable();
window.addEventListener("resize", makeWideTablesFocusable);
