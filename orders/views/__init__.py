"""Order pages, mounted at /orders/ (orders.urls): checkout, the buyer's and the seller's order lists, the order
page with its actions, disputes, reviews and the seller's money. Each view parses, checks who is asking, calls one
service or selector and renders; someone else's order is a 404."""
