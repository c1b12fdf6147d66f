-- A fixed mix of one- to four-word searches, with typos, filters and sorts; every search also
-- computes facets. wrk cycles through them in order.
local queries = {
  "/api/v1/search?q=aurora",
  "/api/v1/search?q=polar+speaker",
  "/api/v1/search?q=headphnes",
  "/api/v1/search?q=fjord+earbuds+black",
  "/api/v1/search?q=nordlys+soundbar&sort=price_asc",
  "/api/v1/search?q=headset&category=electronics",
  "/api/v1/search?q=speaker&min_price=5000&max_price=20000",
  "/api/v1/search?q=aurora+headphones+wireless+black",
  "/api/v1/search?q=earbuds&attr.colour=white",
  "/api/v1/search?q=soundbr&in_stock=true",
  "/api/v1/search?q=model+case+cable",
  "/api/v1/search?q=usb-c+battery&sort=newest",
  "/api/v1/search?q=orsted+headset",
  "/api/v1/search?category=audio&sort=price_desc",
  "/api/v1/search?q=polar&shop=none",
  "/api/v1/search?q=fjrod+speaker",
}
local i = 0
request = function()
  i = i % #queries + 1
  return wrk.format("GET", queries[i])
end
