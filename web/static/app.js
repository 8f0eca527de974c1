// The dashboard's only script (no framework, no build): it carries the
// sign-in (Telegram's initData as "Authorization: tma ...", or the office
// browser's cookie), loads the server-rendered pages into <main>, sends the
// forms, and applies Telegram's theme colours.
(function () {
  "use strict";
  var main = document.getElementById("main");
  var toast = document.getElementById("toast");
  var fragment = new URLSearchParams(location.hash.slice(1));
  var initData = fragment.get("tgWebAppData") || sessionStorage.getItem("tma") || "";
  var theme = fragment.get("tgWebAppThemeParams") || sessionStorage.getItem("theme") || "";
  if (fragment.get("tgWebAppData")) sessionStorage.setItem("tma", initData);
  if (fragment.get("tgWebAppThemeParams")) sessionStorage.setItem("theme", theme);
  if (theme) {
    try {
      var colours = JSON.parse(theme);
      var names = ["bg_color", "text_color", "hint_color", "link_color", "button_color",
        "button_text_color", "secondary_bg_color"];
      names.forEach(function (name) {
        if (/^#[0-9a-fA-F]{3,8}$/.test(colours[name] || "")) {
          document.documentElement.style.setProperty("--" + name.replace(/_/g, "-"), colours[name]);
        }
      });
    } catch (e) { /* no theme: the page's own colours */ }
  }

  function headers() {
    return initData ? { Authorization: "tma " + initData } : {};
  }

  function say(text) {
    toast.textContent = text;
    toast.hidden = false;
    clearTimeout(say.timer);
    say.timer = setTimeout(function () { toast.hidden = true; }, 6000);
  }

  // "?v=summary&unit=51&period=2026-11" -> the page's fragment URL.
  function viewUrl(search) {
    var params = new URLSearchParams(search);
    var view = params.get("v") || "summary";
    params.delete("v");
    if (!/^[a-z]+$/.test(view)) view = "summary";
    return "/app/view/" + view + "?" + params.toString();
  }

  // The last page asked for wins: a tap on a link while the period form's
  // page is still on its way must not be overwritten by that older answer
  // when it arrives later (a province's page takes longer than a village's).
  var latest = 0;

  function load(search, push) {
    var mine = ++latest;
    main.setAttribute("aria-busy", "true");
    return fetch(viewUrl(search), { headers: headers(), credentials: "same-origin" })
      .then(function (response) {
        return response.text().then(function (body) {
          if (mine !== latest) return;
          main.innerHTML = body;
          main.dataset.status = String(response.status);
          if (push) history.pushState({ search: search }, "", "/app/" + search);
          window.scrollTo(0, 0);
        });
      })
      .catch(function () {
        if (mine !== latest) return;
        main.innerHTML = '<p class="error"></p>';
        main.firstChild.textContent = main.dataset.failed;
      })
      .then(function () { if (mine === latest) main.removeAttribute("aria-busy"); });
  }

  document.addEventListener("click", function (event) {
    var a = event.target.closest && event.target.closest("a[data-go]");
    if (!a || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    load(new URL(a.href).search, true);
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var data = new URLSearchParams(new FormData(form));
    if (form.hasAttribute("data-go")) {
      event.preventDefault();
      if (data.get("period")) data.delete("dates"); else data.delete("period");
      Array.from(data.keys()).forEach(function (k) { if (!data.get(k)) data.delete(k); });
      load("?" + data.toString(), true);
    } else if (form.hasAttribute("data-post")) {
      event.preventDefault();
      var button = form.querySelector("button");
      if (button) button.disabled = true;
      fetch(form.getAttribute("data-post"), {
        method: "POST", body: data, headers: headers(), credentials: "same-origin"
      }).then(function (response) {
        return response.json().then(function (answer) {
          say(answer.message || "");
          return load(location.search || "?v=summary", false);
        });
      }).catch(function () { say(main.dataset.failed); if (button) button.disabled = false; });
    }
  });

  window.addEventListener("popstate", function (event) {
    load((event.state && event.state.search) || location.search, false);
  });

  load(location.search || "?v=summary", false);
})();
