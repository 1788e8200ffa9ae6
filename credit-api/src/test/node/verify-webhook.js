// Verifies one delivery with the npm standardwebhooks package, an implementation independent of ours.
// Input on stdin: {"secret", "headers": {"webhook-id", "webhook-timestamp", "webhook-signature"}, "body"}.
// Prints the verified payload's type and exits 0, or prints why and exits 1.
const { Webhook } = require("standardwebhooks");

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const { secret, headers, body } = JSON.parse(input);
  try {
    const payload = new Webhook(secret).verify(body, headers);
    console.log("verified " + payload.type);
  } catch (e) {
    console.log("refused " + e.message);
    process.exit(1);
  }
});
