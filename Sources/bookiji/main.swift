print("bookiji")
