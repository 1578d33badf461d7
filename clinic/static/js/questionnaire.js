// Progressive enhancement for the health questionnaire: the follow-up fields
// of a question (date, areas, details) appear once "Yes" is chosen. Without
// JavaScript every field stays visible and the form works the same.
document.querySelectorAll("fieldset.question").forEach(function (question) {
  var followups = question.querySelector(".followups");
  if (!followups) {
    return;
  }
  var radios = question.querySelectorAll("input[type=radio]");
  function update() {
    var yes = question.querySelector("input[type=radio][value=yes]:checked");
    var hasErrors = followups.querySelector(".is-invalid, .invalid-feedback");
    followups.hidden = !yes && !hasErrors;
  }
  radios.forEach(function (radio) {
    radio.addEventListener("change", update);
  });
  update();
});
