// The storefront's running total: quantity x price of every row, summed as the customer types.
// The server renders the same total (after a refused order) and decides the real one when the order is placed.
(function () {
  "use strict";

  function formatted(template, amount) {
    const digits = amount.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    return template.replace("0.00", digits);
  }

  function update(form, output) {
    let cents = 0;
    form.querySelectorAll("[data-price]").forEach((cell) => {
      const input = cell.closest("tr").querySelector("input[type=number]");
      const quantity = Number.parseInt(input && !input.disabled ? input.value : "", 10);
      if (Number.isInteger(quantity) && quantity > 0 && quantity <= Number(input.max || 99)) {
        cents += Math.round(Number(cell.dataset.price) * 100) * quantity;
      }
    });
    output.textContent = formatted(output.dataset.format, cents / 100);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const output = document.getElementById("running-total");
    if (!output) return;
    const form = output.closest("form");
    form.addEventListener("input", () => update(form, output));
    update(form, output);
  });
})();
