// Type-ahead for the place field; the page works without it.
(function () {
  var input = document.getElementById("place");
  var list = document.getElementById("place-suggestions");
  if (!input || !list || !window.fetch) { return; }
  var timer;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var typed = input.value.trim();
    if (typed.length < 2 || /^\d+$/.test(typed)) { return; }
    timer = setTimeout(function () {
      fetch("/v1/suggest?q=" + encodeURIComponent(typed)).then(function (r) { return r.json(); }).then(function (s) {
        list.innerHTML = "";
        s.places.forEach(function (name) {
          var option = document.createElement("option");
          option.value = name;
          list.appendChild(option);
        });
      }).catch(function () {});
    }, 150);
  });
}());
