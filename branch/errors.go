package branch
