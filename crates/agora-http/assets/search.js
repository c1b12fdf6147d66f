// The search box suggests as you type (an ARIA 1.2 combobox over GET /api/v1/search/suggest), and
// search forms marked data-auto-submit apply a changed sort or stock box at once. Without this
// script the search box and the Apply button work as plain forms.
"use strict";

(() => {
  const input = document.getElementById("site-search");
  if (input) {
    const form = input.form;
    const list = document.createElement("ul");
    list.id = "site-search-suggestions";
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggestions");
    list.hidden = true;
    form.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("autocomplete", "off");

    let items = [];
    let active = -1;
    let timer = 0;
    let asked = 0;

    const show = (open) => {
      list.hidden = !open;
      input.setAttribute("aria-expanded", String(open));
      if (!open) select(-1);
    };
    const select = (i) => {
      active = i;
      [...list.children].forEach((li, n) => li.setAttribute("aria-selected", String(n === i)));
      if (i >= 0) input.setAttribute("aria-activedescendant", `${list.id}-${i}`);
      else input.removeAttribute("aria-activedescendant");
    };
    const choose = (i) => {
      input.value = items[i];
      show(false);
      form.requestSubmit();
    };
    const fill = (words) => {
      items = words;
      list.replaceChildren(
        ...words.map((word, i) => {
          const li = document.createElement("li");
          li.id = `${list.id}-${i}`;
          li.setAttribute("role", "option");
          li.setAttribute("aria-selected", "false");
          li.textContent = word;
          // Keep the focus in the box; a click chooses.
          li.addEventListener("mousedown", (e) => e.preventDefault());
          li.addEventListener("click", () => choose(i));
          return li;
        }),
      );
      active = -1;
      show(words.length > 0);
    };
    const ask = async () => {
      const q = input.value.trim();
      const ticket = ++asked;
      if (!q) return fill([]);
      try {
        const res = await fetch(`/api/v1/search/suggest?q=${encodeURIComponent(q)}`, {
          headers: { Accept: "application/json" },
        });
        const body = res.ok ? await res.json() : { items: [] };
        // An answer to an older question is dropped.
        if (ticket === asked && document.activeElement === input) fill(body.items || []);
      } catch {
        /* no suggestions this time; the form still works */
      }
    };

    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(ask, 200);
    });
    input.addEventListener("keydown", (e) => {
      const open = !list.hidden;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        if (!open) {
          if (items.length) show(true);
          else ask();
          return;
        }
        const step = e.key === "ArrowDown" ? 1 : -1;
        const n = items.length;
        select(active < 0 ? (step > 0 ? 0 : n - 1) : (active + step + n) % n);
      } else if (e.key === "Enter" && open && active >= 0) {
        e.preventDefault();
        choose(active);
      } else if (e.key === "Escape" && open) {
        e.preventDefault();
        show(false);
      }
    });
    input.addEventListener("blur", () => show(false));
  }

  for (const form of document.querySelectorAll("form[data-auto-submit]")) {
    form.addEventListener("change", (e) => {
      if (e.target.matches("select, input[type=checkbox]")) form.requestSubmit();
    });
  }
})();
