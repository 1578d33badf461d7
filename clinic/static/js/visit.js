// Progressive enhancement for the visit form: a zone's inputs show once
// "Treated" is ticked (or when they hold an error), and choosing a zone on
// the face map ticks it. Without JavaScript every input stays visible.
document.querySelectorAll("fieldset.zone-note").forEach(function (zone) {
  var treated = zone.querySelector("input[type=checkbox][name$='-treated']");
  var fields = zone.querySelector(".zone-fields");
  if (!treated || !fields) {
    return;
  }
  function update() {
    fields.hidden = !treated.checked && !fields.querySelector(".is-invalid");
  }
  treated.addEventListener("change", update);
  update();
});
document.querySelectorAll(".face-map-wrap a[href^='#zone-']").forEach(function (link) {
  link.addEventListener("click", function () {
    var zone = document.getElementById(link.getAttribute("href").slice(1));
    var treated = zone && zone.querySelector("input[type=checkbox][name$='-treated']");
    if (treated && !treated.checked && !zone.querySelector(".badge")) {
      treated.checked = true;
      treated.dispatchEvent(new Event("change"));
    }
  });
});
