// echo: a two-way route; the route response sends the body back to the sender.
exports.handler = async (event) => {
  const { data = "" } = JSON.parse(event.body || "{}");
  return { statusCode: 200, body: JSON.stringify({ echo: data }) };
};
