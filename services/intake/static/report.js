// "使用我当前的位置": fills latitude and longitude from the browser, when it can tell.
(function () {
  var button = document.getElementById("locate");
  if (!button || !navigator.geolocation) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(function (position) {
      document.getElementById("lat").value = position.coords.latitude.toFixed(6);
      document.getElementById("lon").value = position.coords.longitude.toFixed(6);
      button.disabled = false;
    }, function () {
      button.textContent = "无法获取位置，请手动填写地址";
      button.disabled = false;
    }, { timeout: 10000 });
  });
})();
